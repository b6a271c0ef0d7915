"""Demo data of the gateway (each family its own module; the integrator registers the steps)."""
