"""/api/users/: profiles, settings, search, data export, avatars."""
