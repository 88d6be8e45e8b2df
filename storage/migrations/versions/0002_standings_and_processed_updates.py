"""Running all-time standings per player per chat (fast all-time boards and ranks), backfilled
from the photos already recorded, and processed platform updates (answer each delivery once).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_STANDINGS = """
INSERT INTO standings (chat_id, user_id, best, best_at, photos, total, last_at)
SELECT g.chat_id, g.user_id, g.best,
       (SELECT MIN(s.created_at) FROM submissions s
         WHERE s.chat_id = g.chat_id AND s.user_id = g.user_id
           AND s.status = 'scored' AND s.score = g.best),
       g.photos, g.total, g.last_at
FROM (SELECT chat_id, user_id, MAX(score) AS best, COUNT(*) AS photos, SUM(score) AS total,
             MAX(created_at) AS last_at
        FROM submissions
       WHERE status = 'scored' AND score IS NOT NULL
       GROUP BY chat_id, user_id) AS g
"""


def upgrade() -> None:
    op.create_table(
        "standings",
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("best", sa.Float(), nullable=False),
        sa.Column("best_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_standings_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_standings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_standings")),
    )
    op.create_index(
        op.f("ix_standings_chat_id_best_best_at_user_id"),
        "standings",
        ["chat_id", "best", "best_at", "user_id"],
        unique=False,
    )
    op.create_index(op.f("ix_standings_user_id"), "standings", ["user_id"], unique=False)
    op.execute(BACKFILL_STANDINGS)
    op.create_table(
        "processed_updates",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("platform", "update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        op.f("ix_processed_updates_created_at"), "processed_updates", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("processed_updates")
    op.drop_table("standings")
