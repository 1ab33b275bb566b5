"""First run, unlock and boot screens."""
