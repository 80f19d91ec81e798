create table audited (created_at timestamptz default now(), updated_at timestamptz);
create table owned (owner text not null default 'nobody');
-- things keeps its own owner column (merged with the inherited one), which is what INHERIT can reach.
create table things (id int primary key, name text, owner text not null default 'nobody') inherits (audited, owned);
