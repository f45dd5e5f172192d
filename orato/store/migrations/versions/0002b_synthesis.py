"""synthesis gateway: voices, dictionaries, rulesets, provider keys and state, feedback, log columns

Revision ID: 0002b
Revises: 0001


"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002b'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('feedback',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('feedback_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('moderation_rulesets',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'name_key', name='uq_rulesets_name')
    )
    with op.batch_alter_table('moderation_rulesets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_rulesets_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('pronunciation_dictionaries',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'name_key', name='uq_dictionaries_name')
    )
    with op.batch_alter_table('pronunciation_dictionaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pronunciation_dictionaries_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('provider_keys',
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('last_four', sa.String(length=4), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'provider', name='uq_provider_keys_org')
    )
    with op.batch_alter_table('provider_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_keys_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('provider_states',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('managed_allowed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('organisation_id', 'provider')
    )
    op.create_table('voices',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('voice_ref', sa.String(length=256), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('gender', sa.String(length=8), nullable=True),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('provider_options', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('voices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voices_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('pronunciation_rules',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('dictionary_id', sa.Uuid(), nullable=False),
    sa.Column('word', sa.String(length=100), nullable=False),
    sa.Column('replacement', sa.String(length=200), nullable=False),
    sa.Column('case_sensitive', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dictionary_id'], ['pronunciation_dictionaries.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pronunciation_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pronunciation_rules_dictionary_id'), ['dictionary_id'], unique=False)

    with op.batch_alter_table('request_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('model', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('voice_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('voice_ref', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('upstream_latency_ms', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('provider_options', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('moderation_decision', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('moderation_reason_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('moderation_reason_detail', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('moderation_confidence', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('moderation_latency_ms', sa.Integer(), nullable=True))
        batch_op.create_index('ix_request_logs_parent', ['parent_request_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('request_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_request_logs_parent')
        batch_op.drop_column('moderation_latency_ms')
        batch_op.drop_column('moderation_confidence')
        batch_op.drop_column('moderation_reason_detail')
        batch_op.drop_column('moderation_reason_type')
        batch_op.drop_column('moderation_decision')
        batch_op.drop_column('provider_options')
        batch_op.drop_column('upstream_latency_ms')
        batch_op.drop_column('voice_ref')
        batch_op.drop_column('voice_id')
        batch_op.drop_column('model')
        batch_op.drop_column('provider')

    with op.batch_alter_table('pronunciation_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pronunciation_rules_dictionary_id'))

    op.drop_table('pronunciation_rules')
    with op.batch_alter_table('voices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voices_organisation_id'))

    op.drop_table('voices')
    op.drop_table('provider_states')
    with op.batch_alter_table('provider_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_keys_organisation_id'))

    op.drop_table('provider_keys')
    with op.batch_alter_table('pronunciation_dictionaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pronunciation_dictionaries_organisation_id'))

    op.drop_table('pronunciation_dictionaries')
    with op.batch_alter_table('moderation_rulesets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_rulesets_organisation_id'))

    op.drop_table('moderation_rulesets')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_feedback_id'))

    op.drop_table('feedback')
