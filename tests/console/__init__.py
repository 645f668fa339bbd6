"""Tests of the web console: sign-in, access model, security headers, languages."""
