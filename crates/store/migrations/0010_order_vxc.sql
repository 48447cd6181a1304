-- The VXC as its order last observed it in Megaport (rate, term, shutdown, a pending change), read
-- and written whole: an order is followed after LIVE, so what changes then is kept with it. NULL
-- until Megaport reported the VXC.
ALTER TABLE vxc_orders ADD COLUMN vxc_json TEXT;
