"""Campaign goals: `campaigns/<group>/<name>.yaml`, addressed as `group:name` or by a path.

A goal is user input, so it is parsed at the boundary into a frozen `CampaignGoal` and every
problem becomes one `BadInput` line naming the file and the dotted field (exit 2, nothing
written). The file's shape is declared once, as pydantic models (`GoalSpec` in `_schema.py`);
`_types.py` holds the validated goal, `_files.py` reads goal files. `to_dict()` gives the goal
back in its YAML shape; the FeedbackStore snapshots that, and `resume` re-parses the snapshot
rather than a file that may have changed since.
"""

from sentinel.agent.goals._files import (
    CAMPAIGNS_DIR,
    check_goal_configs,
    goal_from_yaml,
    list_goals,
    load_goal,
)
from sentinel.agent.goals._schema import CHOICE_GROUPS, GoalSpec, parse_goal
from sentinel.agent.goals._types import (
    CampaignGoal,
    Choices,
    GoalBudget,
    GoalMetric,
    Range,
    SandboxSettings,
    Scalar,
)

__all__ = [
    "CAMPAIGNS_DIR",
    "CHOICE_GROUPS",
    "CampaignGoal",
    "Choices",
    "GoalBudget",
    "GoalMetric",
    "GoalSpec",
    "Range",
    "SandboxSettings",
    "Scalar",
    "check_goal_configs",
    "goal_from_yaml",
    "list_goals",
    "load_goal",
    "parse_goal",
]
