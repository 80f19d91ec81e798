create table logs (id int not null, at date not null, msg text) partition by range (at);
create table logs_2024 partition of logs for values from ('2024-01-01') to ('2025-01-01');
create table logs_2025 (id int not null, at date not null, msg text);
create index logs_at_idx on logs (at);
