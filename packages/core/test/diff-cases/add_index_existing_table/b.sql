create table logs (id bigint primary key, at timestamptz, level text);
create index logs_at on logs (at desc) where level = 'error';
