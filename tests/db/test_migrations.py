from sqlalchemy import inspect, select

from unioncat.db import Base, Library, create_engine, transaction


async def test_history_reaches_head_and_matches_models(db_settings):
    engine = create_engine(db_settings)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


async def test_library_roundtrip_keeps_vietnamese_nfc(sessions):
    async with transaction(sessions) as s:
        s.add(Library(code="NAN", name="Thư viện tỉnh Nghệ An", province="Nghệ An"))
    async with sessions() as s:
        lib = (await s.execute(select(Library).where(Library.code == "NAN"))).scalar_one()
    assert lib.name == "Thư viện tỉnh Nghệ An"
    assert lib.former_provinces == []


async def test_migrations_and_models_agree(db_settings):
    """What `alembic check` does: the migrated schema has nothing the tables in code lack, and vice versa."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(db_settings)
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    await engine.dispose()
    assert diff == []


async def test_exclusive_locks_exclude_other_holders_until_released(db_settings):
    import asyncio

    import pytest

    from unioncat.db.locks import Busy, exclusive

    first, second = create_engine(db_settings), create_engine(db_settings)  # as two processes would
    async with exclusive(first, "harvest:THA", wait=False):
        with pytest.raises(Busy):
            async with exclusive(second, "harvest:THA", wait=False):
                pass
        async with exclusive(second, "harvest:NAN", wait=False):  # other names are independent
            pass
        waiter = asyncio.create_task(_hold(second, "harvest:THA"))
        await asyncio.sleep(0.2)
        assert not waiter.done()  # a waiting holder waits...
    await asyncio.wait_for(waiter, 10)  # ...and gets the lock once it is released
    await first.dispose()
    await second.dispose()


async def _hold(engine, name):
    from unioncat.db.locks import exclusive

    async with exclusive(engine, name):
        return True
