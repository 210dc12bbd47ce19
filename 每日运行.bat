@echo off
rem tipdesk daily run: double-click this file every morning, or let Task Scheduler start it
rem with /nopause (README, "Windows"). It runs run.bat daily on the config.yaml beside it.
setlocal EnableExtensions DisableDelayedExpansion
set "TIPDESK_CP="
for /f "tokens=2 delims=:" %%c in ('chcp') do set "TIPDESK_CP=%%c"
chcp 65001 >nul
rem ---- 以下两行可以用记事本修改：tipdesk 程序的 run.bat，和本工作区的配置文件 ----
set "TIPDESK=%~dp0run.bat"
set "CONFIG=%~dp0config.yaml"
rem ------------------------------------------------------------------------------
set "WAIT=1"
if /i "%~1"=="/nopause" set "WAIT="
set "RC=1"
if not exist "%TIPDESK%" goto no_tipdesk
call "%TIPDESK%" daily --config "%CONFIG%"
set "RC=%errorlevel%"
echo.
if "%RC%"=="0" echo 完成。今天每次运行的汇总都在发件箱（outbox）当天日期文件夹的 每日汇总.txt 中，最新一次在最前面。
if "%RC%"=="1" echo 意外错误：见上面一行所说的日志文件，请发给维护人员。台账没有被写坏。
if "%RC%"=="2" echo 配置文件或台账有误：按上面的说明改正后，再双击本文件。
if "%RC%"=="3" echo 台账正被 Excel/WPS 打开，或另一次运行正在处理，本次什么也没改：请关闭台账后再双击本文件。
goto end

:no_tipdesk
echo 找不到 tipdesk 程序：%TIPDESK%
echo 请用记事本打开本文件，把 set "TIPDESK=..." 一行改为 tipdesk 文件夹中 run.bat 的位置。

:end
if defined WAIT pause
if defined TIPDESK_CP chcp %TIPDESK_CP% >nul
exit /b %RC%
