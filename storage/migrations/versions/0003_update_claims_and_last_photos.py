"""Claims on platform deliveries (owner, lease, when the reply started going out) so several
processes answer each update exactly once, and the handle of each user's last photo so `/tips`
works from any process without keeping the photo.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "last_photos",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_user_id", sa.String(length=64), nullable=False),
        sa.Column("handle", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "platform_user_id", name=op.f("pk_last_photos")),
    )


def downgrade() -> None:
    op.drop_table("last_photos")
    with op.batch_alter_table("processed_updates") as batch:
        batch.drop_column("sending_at")
        batch.drop_column("lease_until")
        batch.drop_column("owner")
