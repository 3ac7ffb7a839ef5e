"""The networks: generator and discriminator Symbols, their layers, and how a digit reaches them."""
