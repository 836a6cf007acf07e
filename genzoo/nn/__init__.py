"""Network pieces shared by several model families."""
