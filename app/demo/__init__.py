"""The demo: a deterministic synthetic wholesale shop (generator) and its seeding into the CRM (seed)."""
