"""The web console's server side: its static files served with strict security headers, and the
sign-in configuration the page reads (``config.json``). The pages themselves are hand-written
JavaScript modules and CSS in ``functions/console/static/`` (no build step)."""
