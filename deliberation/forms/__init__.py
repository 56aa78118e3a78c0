"""Forms, one module per area; every input passes through one."""
