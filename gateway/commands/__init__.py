"""Groups of ``relais`` sub-commands, one module per topic."""
