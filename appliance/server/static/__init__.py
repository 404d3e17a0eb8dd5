"""The dashboard's static files (HTML, JS, CSS; no build step), a package so wheels ship them."""
