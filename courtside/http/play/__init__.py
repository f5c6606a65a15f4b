"""/api/play/: queues (and later lobbies and invitations)."""
