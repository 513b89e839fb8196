"""A comic's life: the wizard and its steps, rendering a sheet or a panel, render-all, resuming, the builder, the cast."""
