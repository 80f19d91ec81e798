create table accounts (id serial primary key, status text default 'active', created_at timestamptz default now());
