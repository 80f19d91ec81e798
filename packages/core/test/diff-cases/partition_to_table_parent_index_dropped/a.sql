create table logs (id int not null, at date not null, msg text) partition by range (at);
create table logs_2024 partition of logs for values from ('2024-01-01') to ('2025-01-01');
create table logs_2025 partition of logs for values from ('2025-01-01') to ('2026-01-01');
create index logs_at_idx on logs (at);
create index logs_msg_idx on logs (msg);
insert into logs values (1, '2025-05-01', 'x');
