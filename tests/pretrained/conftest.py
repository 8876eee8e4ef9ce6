"""The toy data of the command-line tests (see pretrained_helpers)."""
from pretrained_helpers import data_root  # noqa: F401  (a fixture)
