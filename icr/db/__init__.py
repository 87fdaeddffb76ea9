"""Stage 4: database models, migrations and the populator."""
