"""Numbers for samples: feature-space distances, manifold scores, class and code checks, and the suite of them."""
