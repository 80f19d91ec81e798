create table profiles (id int primary key, email text, salary int, notes text, legacy text);
grant select (id, email) on profiles to schemainspect_test_role;
grant update (notes) on profiles to schemainspect_test_role with grant option;
grant select (legacy) on profiles to schemainspect_test_role;
