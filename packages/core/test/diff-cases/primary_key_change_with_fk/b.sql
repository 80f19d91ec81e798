create table parents (id int not null, code text not null unique, primary key (id, code));
create table children (id int primary key, parent_code text references parents(code) on delete cascade);
