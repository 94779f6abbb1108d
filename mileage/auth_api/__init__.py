"""Sign-in API: /auth/token, /auth/refresh, /auth/logout, /auth/me."""
