"""Join the idempotency (0002a) and synthesis (0002b) branches of the schema.

Revision ID: 0003
Revises: 0002a, 0002b
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | Sequence[str] | None = ("0002a", "0002b")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Both parents create disjoint tables and columns: nothing to reconcile."""


def downgrade() -> None:
    """Nothing to undo beyond the parents' own downgrades."""
