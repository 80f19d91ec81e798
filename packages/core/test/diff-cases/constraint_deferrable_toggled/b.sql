create table parents (id int primary key);
create table children (id int primary key, parent_id int constraint children_parent_fk references parents (id) deferrable initially deferred, pos int,
  constraint children_pos_key unique (parent_id, pos) deferrable);
create table links (id int primary key, parent_id int constraint links_parent_fk references parents (id) not deferrable);
