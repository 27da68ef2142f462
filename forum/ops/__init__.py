"""Running Forum for real: backups and restore, health, logs with request ids, the doctor."""
