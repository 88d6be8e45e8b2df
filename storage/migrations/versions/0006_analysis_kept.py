"""The analysis is kept with its submission (`submissions.analysis`), and each user's last photo
handle names its submission (`last_photos.submission_id`), so `/tips` and a re-delivered photo's
answer reuse it instead of analysing the photo again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("analysis", sa.JSON(), nullable=True))
    op.add_column("last_photos", sa.Column("submission_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("last_photos") as batch:
        batch.drop_column("submission_id")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("analysis")
