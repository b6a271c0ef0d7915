"""Demo data for `manage.py load_demo` (filled in by the foundation issue)."""

# Shown in the README and printed by `make run`; demo users exist only after load_demo.
DEMO_PASSWORD = "aims-demo-2026"

# Each area adds its demo records through a module with load(management_system, users).
DEMO_EXTENSIONS = ["controls.demo", "assessments.demo", "registers.demo_evidence"]
