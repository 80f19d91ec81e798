create table teams (id int primary key, owner_name varchar(20));
create table projects (id int primary key, team_id int references teams (id));
alter table projects enable row level security;
create policy projects_by_team on projects using (exists (select 1 from teams t where t.id = team_id and t.owner_name = current_user));
