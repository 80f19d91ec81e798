create table accounts (id int primary key);
create table payments (id bigint not null, account_id int not null references accounts (id), paid_on date not null,
  amount numeric(14,2) default 1, note text,
  primary key (id, paid_on, account_id)) partition by range (paid_on);
create table payments_2024 partition of payments for values from ('2024-01-01') to ('2025-01-01');
create table payments_2025 partition of payments for values from ('2025-01-01') to ('2026-01-01')
  partition by list (account_id);
create table payments_2025_a partition of payments_2025 for values in (1, 2);
create table payments_2025_rest partition of payments_2025 default;
create table payments_2026 partition of payments for values from ('2026-01-01') to ('2027-01-01');
create index payments_account_idx on payments (account_id, paid_on);
create index payments_2024_note_idx on payments_2024 (note);
create unique index payments_amount_key on payments (id, paid_on, account_id, amount);
create function payments_touch() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger payments_touch before insert on payments for each row execute function payments_touch();
alter table payments enable row level security;
create policy payments_all on payments using (true);
