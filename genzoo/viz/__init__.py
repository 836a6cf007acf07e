"""Pictures of models: sample grids, curves and the HTML pages that hold them."""
