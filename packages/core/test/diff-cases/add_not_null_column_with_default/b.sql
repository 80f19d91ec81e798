create table orders (id serial primary key, quantity integer not null default 1, token uuid not null default gen_random_uuid());
