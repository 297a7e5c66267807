"""`python -m skymarshal_local.cli`: the same as the `skymarshal` console script."""

from skymarshal_local.cli import main

main()
