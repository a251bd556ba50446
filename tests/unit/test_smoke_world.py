def test_world_builds(world, db):
    from portal_app.services import audit

    ok, bad = audit.verify_chain(db, world.ws_a.id)
    assert ok and bad is None
