"""Authentication: tokens, sessions, cookies and CSRF, password rules, /api/auth/."""
