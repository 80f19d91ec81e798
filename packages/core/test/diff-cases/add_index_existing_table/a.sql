create table logs (id bigint primary key, at timestamptz, level text);
