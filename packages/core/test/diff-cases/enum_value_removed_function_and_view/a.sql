create type priority as enum ('low', 'medium', 'high', 'urgent');
create table tasks (id int primary key, priority priority not null default 'low');
create function bump(p priority) returns priority language sql immutable as $$ select case p when 'low' then 'medium'::priority else 'high'::priority end $$;
create function urgent_tasks() returns setof tasks language sql stable as $$ select * from tasks where priority = 'high' $$;
create view bumped_tasks as select id, bump(priority) as next_priority from tasks;
insert into tasks values (1, 'low'), (2, 'high');
