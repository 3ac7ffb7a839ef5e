"""The tutorial pages' figures and tables, drawn from real runs by docs/make_figures.py."""
