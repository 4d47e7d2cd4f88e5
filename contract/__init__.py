"""The contract both sides of the container boundary import: pure data and the checks on it.

Stdlib and PyYAML only (no docker, no host libraries, no torch), so the runtime image carries
it and the host validates with exactly the code the container runs:

- `registry`: every `_target_` a config may name and its parameters; `params`: the one check
  of a value against them; `config`: a whole run config checked and defaults filled;
- `vocabulary`: the closed sets of strings an artifact may use; `events`: the
  monitor_events.jsonl schema, built by the container and checked by every reader;
- `patterns`: identifiers shared by host modules (run id, campaign id, ...);
- `records`: the typed records of a run (artifacts as read, trusted metrics, `RunResult`).
"""

from sentinel.contract.params import ConfigInvalid
from sentinel.contract.records import RunResult

__all__ = ["ConfigInvalid", "RunResult"]
