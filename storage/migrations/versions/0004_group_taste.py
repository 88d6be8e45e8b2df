"""Group taste: per scored photo its feature vector, audience and anonymous reaction totals
(`photo_features`), and an index to find a submission by the photo's own message (reactions
on the photo count as well as reactions on the bot's result).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_submissions_chat_id_message_id"),
        "submissions",
        ["chat_id", "message_id"],
        unique=False,
    )
    op.create_table(
        "photo_features",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("audience", sa.Integer(), nullable=False),
        sa.Column("anonymous_on_photo", sa.Integer(), nullable=False),
        sa.Column("anonymous_on_result", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_photo_features_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_photo_features_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_photo_features")),
    )
    op.create_index(
        op.f("ix_photo_features_chat_id_created_at"),
        "photo_features",
        ["chat_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("photo_features")
    op.drop_index(op.f("ix_submissions_chat_id_message_id"), table_name="submissions")
