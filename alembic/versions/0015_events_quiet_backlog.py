"""events: acknowledge the invoice.sent backlog written while nothing followed it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 11:00:00.000000

Written by hand (issue 14, typed events). Until this version no handler followed
`invoice.sent`: its outbox rows stayed pending. From now on the worker emails the client for
each one, so the rows already there (sends and resends of invoices long sent, several for
one invoice) would reach clients all at once, weeks late. They are marked done here, with
their reason in last_error. No schema change; the downgrade leaves them done (nothing to
undo: the old version never read them).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    outbox = sa.table('outbox_message', sa.column('kind', sa.String), sa.column('done_at', sa.DateTime(timezone=True)),
                      sa.column('last_error', sa.String))
    op.execute(outbox.update()
               .where(outbox.c.kind == 'invoice.sent', outbox.c.done_at.is_(None))
               .values(done_at=sa.func.current_timestamp(),  # UTC on SQLite; renders in --sql too
                       last_error='acknowledged at upgrade 0015: written before invoice emails existed'))


def downgrade() -> None:
    pass
