"""Host-side dataset preparation: `prepare_all` builds the data folder runs mount at /data.

Host only (scikit-learn, neurokit2); the container reads the result with
`sentinel.sandbox.runtime.datasets` and never imports this package.
"""

from sentinel.sandbox.data.prepare import DATASETS, DataError, PreparedDataset, prepare_all, verify

__all__ = ["DATASETS", "DataError", "PreparedDataset", "prepare_all", "verify"]
