create table logs (id int not null, at date not null, msg text) partition by range (at);
create table logs_2024 partition of logs for values from ('2024-01-01') to ('2025-01-01');
create table logs_2025 (id int not null, at date not null, msg text);
create table logs_2026 (id int not null, at date not null, msg text);
create index logs_2026_at_idx on logs_2026 (at);
create index logs_2026_msg_idx on logs_2026 (at, msg);
create table logs_2027 partition of logs for values from ('2027-01-01') to ('2029-01-01');
create index logs_at_idx on logs (at);
create index logs_msg_idx on logs (msg);
