"""``icr serve``: a local web page and JSON API to review and correct what was read (:mod:`icr.web.app`)."""
