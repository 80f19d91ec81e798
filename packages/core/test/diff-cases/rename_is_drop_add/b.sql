create table profiles (id int primary key, display_name text);
