"""Device-side OTA: signed manifests, A/B slots, trial boots, rollback (imported only to update)."""
